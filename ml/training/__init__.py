"""Local training (the only torch code in the project) and the out-of-process worker."""
