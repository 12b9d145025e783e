"""MUNIT (Huang et al. 2018), `model.family: munit`: config, content/style networks with AdaIN, trainer."""
