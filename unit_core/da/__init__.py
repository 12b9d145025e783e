"""UNIT for domain adaptation on 32x32 digits (the 2017 code): config, coupled VAEs, classifying
discriminators, trainer, and the source-only baseline it is compared with."""
