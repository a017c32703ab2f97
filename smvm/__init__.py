"""Smart-message virtual machine."""
