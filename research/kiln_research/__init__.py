"""Kiln research code: a PyTorch re-implementation of the FLUX.1 modules.

Follows the structure of the official black-forest-labs/flux code (Apache-2.0) so that state
dict keys and numerics match the official checkpoints and ../shared/golden/flux by construction.
Runs on Debian 12's python3-torch 1.13 (use /usr/bin/python3).
"""
