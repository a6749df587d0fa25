"""Harness of the mod_cfaop integration suite: PKI, Apache configs and control, clients."""
