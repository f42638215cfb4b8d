"""Data files shipped with the services: the common-password lists (see NOTICE.md here)."""
