"""``flask demo``: seed a believable shop."""

import click


@click.command("demo")
def demo_command():
    """Seed a realistic shop and print its logins."""
