"""Optional differential privacy on the node: clip, add Gaussian noise, track epsilon (RDP)."""
