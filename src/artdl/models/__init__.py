"""Neural network models: backbones, classifier, autoencoders."""
