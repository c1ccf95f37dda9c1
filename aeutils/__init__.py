"""aeutils: autoencoder-based image anomaly detection, reproducible and fast."""

__version__ = "0.1.0"
