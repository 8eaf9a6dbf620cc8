// Keeps live figures fresh: the initial sync's progress bar and the queue counts.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function poll(url, apply) {
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && apply(data) !== false) { setTimeout(tick, POLL_MS); } })
        .catch(function () { setTimeout(tick, POLL_MS * 5); });
    }
    setTimeout(tick, POLL_MS);
  }

  var sync = document.querySelector("[data-progress]");
  if (sync) {
    poll(sync.getAttribute("data-progress"), function (data) {
      var bar = document.getElementById("sync-progress");
      var state = document.getElementById("sync-state");
      var report = data.report;
      if (data.percent !== null) { bar.value = data.percent; bar.textContent = data.percent + " %"; }
      if (report) {
        state.textContent = "Job " + report.job_id + ": " + report.status + ", " +
          (data.percent === null ? "?" : data.percent) + " %";
        state.setAttribute("data-status", report.status);
      }
      return true;
    });
  }

  var queue = document.querySelector("[data-refresh]");
  if (queue) {
    poll(queue.getAttribute("data-refresh"), function (data) {
      Object.keys(data.counts).forEach(function (status) {
        var cell = document.querySelector('[data-count="' + status + '"]');
        if (cell) { cell.textContent = data.counts[status]; }
      });
      var oldest = document.querySelector("[data-oldest]");
      if (oldest) {
        oldest.textContent = data.oldest_waiting_seconds === null
          ? "none" : Math.round(data.oldest_waiting_seconds) + " s";
      }
      return true;
    });
  }
})();
