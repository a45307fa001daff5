"""Loaded by every Python process started with the kit's offline guard on (see cnnkit.netguard)."""
import os

if os.environ.get("COURSE_NETGUARD_LOG"):
    from cnnkit import netguard

    netguard.install()
