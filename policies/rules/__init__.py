"""One module per rule, each defining `POLICY`; `policies.registry` lists them all."""
