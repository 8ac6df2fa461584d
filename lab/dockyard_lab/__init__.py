"""The offline test lab: server images, services and cleanup for dockyard's tests."""

LABEL = "dockyard.lab"
"""Every image, container, network and volume the lab makes carries this label."""
