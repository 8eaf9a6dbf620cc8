"""Which handler runs each kind of sync job."""

from __future__ import annotations

from upsales_fortnox.intake.hook_answers import ResponderRegistry
from upsales_fortnox.jobs import HandlerRegistry
from upsales_fortnox.services import Services
from upsales_fortnox.sync.app_hook_answers import register_info_responders
from upsales_fortnox.sync.catchup.schedule import register_catch_up_handler
from upsales_fortnox.sync.inbound.fortnox_jobs import register_inbound_handlers
from upsales_fortnox.sync.initial.handler import register_initial_sync_handlers
from upsales_fortnox.sync.order_answers import register_order_responders
from upsales_fortnox.sync.outbound.company_sync import register_company_handler
from upsales_fortnox.sync.outbound.won_deals import register_won_deal_handler
from upsales_fortnox.sync.reconcile import register_reconcile_handler


def build_handler_registry(services: Services) -> HandlerRegistry:
    """Every sync job kind, bound to this process's services."""
    registry = HandlerRegistry()
    register_inbound_handlers(registry, services)
    register_reconcile_handler(registry, services)
    register_catch_up_handler(registry, services)
    register_initial_sync_handlers(registry, services)
    register_won_deal_handler(registry, services)
    register_company_handler(registry, services)
    return registry


def build_responder_registry(services: Services) -> ResponderRegistry:
    """The answers to app hooks that wait for one (``before_order_save``, ``app_status_order``,
    ``limit_pricelists``, ``show_field_sync``)."""
    registry = ResponderRegistry()
    register_order_responders(registry, services)
    register_info_responders(registry, services)
    return registry
