"""Messaging channels: adapters that send to and receive from customers."""
