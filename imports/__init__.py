"""Imports: every way samples come in (browser upload, folder, ZIP, link) as a batch of files."""
