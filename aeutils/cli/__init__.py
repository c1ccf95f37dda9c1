"""The entry points: the command line (``python -m aeutils``, thin over the library), the
batch reproduction with papermill, publishing executed notebooks, the notebooks' setup
and the studies' drivers."""
