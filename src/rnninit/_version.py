"""The installed version of rnninit (one definition; :data:`rnninit.__version__`)."""

#: The installed version of rnninit.
__version__ = "0.1.0"
