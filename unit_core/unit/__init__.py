"""UNIT (Liu, Breuel & Kautz 2017) for image translation: config, coupled encoders/generators, trainer."""
