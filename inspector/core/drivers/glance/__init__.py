"""OpenStack Glance's image cache: one directory layout, a driver per metadata store."""
