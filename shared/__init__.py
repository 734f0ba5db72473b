"""The provisioning core shared by every function; submodules are imported one by one, so this stays empty."""
