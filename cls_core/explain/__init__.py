"""The explanation layer: occlusion, attention and n-gram scores, integrated gradients,
counterfactuals, hidden units and the map of the test split. Imports data and models."""
