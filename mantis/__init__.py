"""The import of a MantisBT database (`manage.py import_mantis`): ops only, no page of its own."""
