"""The upsales-fortnox command line: the service, its worker and the operator tools."""
