"""Reader of `server` (with its `sku` and `network`): the Flexible Server."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from ..identifiers import fold
from .kinds import MapOf
from .reader import Reader, max_items
from .spec import FIREWALL_RULE, NETWORK, SERVER, SKU
from .types import FirewallRule, NetworkConfig, ServerConfig

__all__ = ["MAX_FIREWALL_ADDRESSES", "read_server"]

# A firewall range wider than a /16 admits a large part of the internet; the policy pack
# blocks it too, but refusing it here fails faster and with the config path. The bound is
# on all rules together (overlaps counted twice): ten /17 rules are five /16s.
MAX_FIREWALL_ADDRESSES: Final = 65_536
# Azure's "allow public access from any Azure service" is the rule 0.0.0.0-0.0.0.0: it
# admits every Azure tenant's resources, which is why it needs an explicit opt-in.
_AZURE_SERVICES: Final = ipaddress.IPv4Address("0.0.0.0")  # noqa: S104 (a rule, not a bind)


def read_server(r: Reader, path: str, raw: object) -> ServerConfig | None:
    """The server section, or None when it is unusable (issues recorded)."""
    m = r.section(path, raw, SERVER)
    if m is None:
        return None
    name = r.field(path, m, SERVER["name"])
    if name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name):
        r.issue(
            f"{path}.name",
            f"{name!r} is not a valid Flexible Server name",
            "use 3-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
        )
        name = None
    resource_group = r.field(path, m, SERVER["resourceGroup"])
    sku_name, sku_tier = SKU["name"].default or "Standard_B1ms", str(SKU["tier"].default)
    if m.get("sku") is not None:
        sku = r.section(f"{path}.sku", m["sku"], SKU)
        if sku is not None:
            sku_name = r.field(f"{path}.sku", sku, SKU["name"]) or sku_name
            sku_tier = r.field(f"{path}.sku", sku, SKU["tier"]) or sku_tier
    network = _network(r, f"{path}.network", m.get("network"))
    tags = _tags(r, f"{path}.tags", m.get("tags"))
    values = {key: r.field(path, m, SERVER[key]) for key in _SCALARS}
    if name is None or resource_group is None:
        return None
    return ServerConfig(
        name=name,
        resource_group=resource_group,
        create_resource_group=values["createResourceGroup"],
        location=values["location"],
        version=values["version"],
        sku_name=sku_name,
        sku_tier=sku_tier,
        storage_gb=values["storageGb"],
        backup_retention_days=values["backupRetentionDays"],
        network=network,
        tls_min_version=values["tlsMinVersion"],
        group_sync=values["groupSync"],
        tags=tags,
    )


_SCALARS: Final = (
    "createResourceGroup",
    "location",
    "version",
    "storageGb",
    "backupRetentionDays",
    "tlsMinVersion",
    "groupSync",
)


def _tags(r: Reader, path: str, raw: object) -> dict[str, str]:
    spec = SERVER["tags"].type
    if not isinstance(spec, MapOf):
        raise TypeError("server.tags is declared as a mapping")
    tags: dict[str, str] = {}
    for key, value in r.names(path, raw, spec).items():
        text = r.string(f"{path}.{key}", value)
        if text is not None:
            tags[key] = text
    return tags


def _network(r: Reader, path: str, raw: object) -> NetworkConfig:
    if raw is None:
        return NetworkConfig()
    m = r.section(path, raw, NETWORK)
    if m is None:
        return NetworkConfig()
    public = r.field(path, m, NETWORK["publicAccess"]) == "Enabled"
    allow_azure = r.field(path, m, NETWORK["allowAzureServices"])
    rules = r.each(
        f"{path}.firewallRules",
        m.get("firewallRules"),
        lambda p, v: _firewall(r, p, v),
        max_items(NETWORK["firewallRules"]),
    )
    if rules and not public:
        r.issue(
            f"{path}.firewallRules",
            "firewall rules are set but public access is Disabled",
            "remove the rules, or set publicAccess: Enabled explicitly",
        )
    seen: dict[str, str] = {}
    for rule in rules:
        if fold(rule.name) in seen:
            r.issue(
                f"{path}.firewallRules",
                f"rule name {rule.name!r} is used twice (also as {seen[fold(rule.name)]!r})",
                "give each rule its own name",
            )
        seen.setdefault(fold(rule.name), rule.name)
    _check_ranges(r, path, rules, allow_azure)
    return NetworkConfig(
        public_access=public,
        firewall_rules=tuple(rules),
        allow_azure_services=allow_azure,
        delegated_subnet_id=r.field(path, m, NETWORK["delegatedSubnetId"]),
        private_dns_zone_id=r.field(path, m, NETWORK["privateDnsZoneId"]),
    )


def _size(rule: FirewallRule) -> int:
    return int(ipaddress.IPv4Address(rule.end_ip)) - int(ipaddress.IPv4Address(rule.start_ip)) + 1


def _is_azure_services(rule: FirewallRule) -> bool:
    return (
        ipaddress.IPv4Address(rule.start_ip)
        == ipaddress.IPv4Address(rule.end_ip)
        == (_AZURE_SERVICES)
    )


def _check_ranges(r: Reader, path: str, rules: list[FirewallRule], allow_azure: bool) -> None:
    azure = [rule for rule in rules if _is_azure_services(rule)]
    if azure and not allow_azure:
        r.issue(
            f"{path}.firewallRules",
            f"rule {azure[0].name!r} is 0.0.0.0-0.0.0.0, Azure's 'allow all Azure services', "
            "which admits connections from every Azure tenant's resources, not only yours",
            "remove it and use private access; or opt in visibly with "
            "network.allowAzureServices: true",
        )
    if allow_azure and not azure:
        r.issue(
            f"{path}.allowAzureServices",
            "is true but no rule is 0.0.0.0-0.0.0.0: the opt-in opts into nothing",
            "remove allowAzureServices (or add the rule it is for)",
        )
    total = sum(_size(rule) for rule in rules if not _is_azure_services(rule))
    if total > MAX_FIREWALL_ADDRESSES:
        r.issue(
            f"{path}.firewallRules",
            f"the rules together admit {total:,} addresses; the limit is "
            f"{MAX_FIREWALL_ADDRESSES:,} (a /16) for all rules together",
            "narrow the ranges; use private access for wide reach",
        )


def _firewall(r: Reader, path: str, raw: object) -> FirewallRule | None:
    m = r.section(path, raw, FIREWALL_RULE)
    if m is None:
        return None
    name = r.field(path, m, FIREWALL_RULE["name"])
    start = r.field(path, m, FIREWALL_RULE["startIp"])
    end = r.field(path, m, FIREWALL_RULE["endIp"])
    if name is None or start is None or end is None:
        return None
    try:
        lo, hi = ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)
    except ValueError:
        r.issue(
            path, f"{start!r}-{end!r} is not a pair of IPv4 addresses", "give dotted IPv4 addresses"
        )
        return None
    if int(hi) < int(lo):
        r.issue(path, f"endIp {end} is before startIp {start}", "swap them")
        return None
    if int(hi) - int(lo) + 1 > MAX_FIREWALL_ADDRESSES:
        r.issue(
            path,
            f"{start}-{end} admits {int(hi) - int(lo) + 1} addresses",
            "narrow the range to a /16 or smaller; use private access for wide reach",
        )
        return None
    return FirewallRule(name=name, start_ip=str(lo), end_ip=str(hi))
