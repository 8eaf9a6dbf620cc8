"""The money after the deal: invoice payments and credit invoices reaching the Upsales order."""
