"""Run control: the steps in order, the lock, the manifest, logs, publishing."""
