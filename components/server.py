"""The Azure Database for PostgreSQL Flexible Server, Entra-only by default."""

from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import dbforpostgresql as pg

from entra_pg.model.identifiers import slug

from .audit_trail import AuditTrailArgs, declare_audit_trail

__all__ = ["FirewallRuleArgs", "FlexibleServer", "FlexibleServerArgs"]


class FirewallRuleArgs(TypedDict):
    """A public-access firewall rule."""

    name: str
    """(Required) Rule name."""
    start_ip: str
    """(Required) First IPv4 address admitted."""
    end_ip: str
    """(Required) Last IPv4 address admitted."""


class FlexibleServerArgs(TypedDict):
    """Inputs of `FlexibleServer`."""

    server_name: str
    """(Required) Server name (3-63 lower-case letters, digits, hyphens)."""
    resource_group_name: pulumi.Input[str]
    """(Required) Resource group."""
    tenant_id: pulumi.Input[str]
    """(Required) Entra tenant id."""
    admin_group_object_id: pulumi.Input[str]
    """(Required) Object id of the Entra group that becomes the server's Entra admin."""
    admin_group_name: pulumi.Input[str]
    """(Required) Display name of that group."""
    location: NotRequired[pulumi.Input[str]]
    """(Optional) Azure region. Default: the resource group's (provider default)."""
    version: NotRequired[str]
    """(Optional) PostgreSQL major version. Default `16`."""
    sku_name: NotRequired[str]
    """(Optional) SKU. Default `Standard_B1ms`."""
    sku_tier: NotRequired[str]
    """(Optional) Tier. Default `Burstable`."""
    storage_gb: NotRequired[int]
    """(Optional) Storage in GiB. Default 32."""
    backup_retention_days: NotRequired[int]
    """(Optional) Backup retention. Default 7."""
    databases: NotRequired[list[str]]
    """(Optional) Databases to create (after the Entra admin exists)."""
    public_network_access: NotRequired[bool]
    """(Optional) Opt-out: allow public access through `firewall_rules`. Default false."""
    firewall_rules: NotRequired[list[FirewallRuleArgs]]
    """(Optional) Firewall rules; only with `public_network_access`."""
    delegated_subnet_id: NotRequired[pulumi.Input[str]]
    """(Optional) Subnet for VNet integration (private access)."""
    private_dns_zone_id: NotRequired[pulumi.Input[str]]
    """(Optional) Private DNS zone for VNet integration."""
    tls_min_version: NotRequired[str]
    """(Optional) `TLSv1.2` (default) or `TLSv1.3`."""
    group_sync: NotRequired[bool]
    """(Optional) pgaadauth group sync: a role per member of mapped groups. Default false."""
    password_auth: NotRequired[bool]
    """(Optional) Opt-out: also enable password authentication. Default false; requires
    `administrator_login` and `administrator_password`."""
    administrator_login: NotRequired[str]
    """(Optional) Password admin login, only with `password_auth`."""
    administrator_password: NotRequired[pulumi.Input[str]]
    """(Optional) Password admin password (a secret), only with `password_auth`."""
    tags: NotRequired[dict[str, str]]
    """(Optional) Tags."""
    audit_trail: NotRequired[AuditTrailArgs]
    """(Optional) Where the logs go and what pgaudit records. Default: a Log Analytics
    workspace named `<server>-logs` receives `allLogs`, pgaudit logs `role, ddl`."""


class FlexibleServer(pulumi.ComponentResource):
    """A Flexible Server with Entra-only auth, an Entra group as admin and TLS enforced.

    Order matters on Azure and is encoded in dependencies: server, then the Entra admin, then
    the server parameters one after another (parallel updates fail with ServerBusy), then the
    databases (created before the admin exists they would be owned by `azuresu`). The audit
    trail (components/audit_trail.py) extends the parameter chain and sends the logs out.
    """

    server_id: pulumi.Output[str]
    """ARM id of the server."""
    fqdn: pulumi.Output[str]
    """Fully qualified domain name to connect to."""
    server_name: pulumi.Output[str]
    """The server name."""
    database_names: pulumi.Output[list[str]]
    """The databases created."""
    log_analytics_workspace_id: pulumi.Output[str | None]
    """ARM id of the workspace that receives the server's logs (None with the trail off)."""
    pgaudit_enabled: pulumi.Output[bool]
    """True when pgaudit is loaded: DatabaseAccess then creates the extension everywhere."""

    def __init__(
        self, name: str, args: FlexibleServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("entrapg:index:FlexibleServer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        public = bool(args.get("public_network_access", False))
        rules = args.get("firewall_rules", [])
        if rules and not public:
            raise ValueError(
                f"FlexibleServer({name}): firewall_rules need public_network_access=True; "
                "remove them or opt out of private access explicitly"
            )
        password_auth = bool(args.get("password_auth", False))
        if password_auth and not (
            args.get("administrator_login") and args.get("administrator_password")
        ):
            raise ValueError(
                f"FlexibleServer({name}): password_auth=True needs administrator_login and "
                "administrator_password (a secret)"
            )
        tls = args.get("tls_min_version", "TLSv1.2")
        if tls not in ("TLSv1.2", "TLSv1.3"):
            raise ValueError(f"FlexibleServer({name}): tls_min_version must be TLSv1.2 or TLSv1.3")

        server = pg.Server(
            f"{name}-server",
            server_name=args["server_name"],
            resource_group_name=args["resource_group_name"],
            location=args.get("location"),
            version=args.get("version", "16"),
            sku=pg.SkuArgs(
                name=args.get("sku_name", "Standard_B1ms"), tier=args.get("sku_tier", "Burstable")
            ),
            storage=pg.StorageArgs(storage_size_gb=args.get("storage_gb", 32)),
            backup=pg.BackupArgs(
                backup_retention_days=args.get("backup_retention_days", 7),
                geo_redundant_backup="Disabled",
            ),
            # Strings, not enum classes: the enum class names changed between SDK 3.12 and
            # 3.13. The SDK defaults password auth to Enabled, so it is turned off here.
            auth_config=pg.AuthConfigArgs(
                active_directory_auth="Enabled",
                password_auth="Enabled" if password_auth else "Disabled",
                tenant_id=args["tenant_id"],
            ),
            administrator_login=args.get("administrator_login") if password_auth else None,
            administrator_login_password=(
                args.get("administrator_password") if password_auth else None
            ),
            network=pg.NetworkArgs(
                public_network_access="Enabled" if public else "Disabled",
                delegated_subnet_resource_id=args.get("delegated_subnet_id"),
                private_dns_zone_arm_resource_id=args.get("private_dns_zone_id"),
            ),
            tags=args.get("tags"),
            opts=child,
        )
        admin = pg.AdministratorsMicrosoftEntra(
            f"{name}-entra-admin",
            server_name=server.name,
            resource_group_name=args["resource_group_name"],
            object_id=args["admin_group_object_id"],
            principal_name=args["admin_group_name"],
            # A string: the Python enum only has lower-case values.
            principal_type="Group",
            tenant_id=args["tenant_id"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[server]),
        )
        settings = [
            ("require_secure_transport", "ON"),
            ("ssl_min_protocol_version", tls),
            ("log_connections", "ON"),
            ("log_disconnections", "ON"),
        ]
        if args.get("group_sync", False):
            settings.append(("pgaadauth.enable_group_sync", "ON"))
        last: pulumi.Resource = admin
        for setting, value in settings:
            last = pg.Configuration(
                f"{name}-config-{slug(setting)}",
                server_name=server.name,
                resource_group_name=args["resource_group_name"],
                configuration_name=setting,
                value=value,
                source="user-override",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[last]),
            )
        trail = declare_audit_trail(
            name,
            parent=self,
            server=server,
            server_name=args["server_name"],
            resource_group_name=args["resource_group_name"],
            location=args.get("location"),
            args=args.get("audit_trail", {}),
            after=last,
            tags=args.get("tags"),
        )
        last = trail.last
        for rule in rules:
            pg.FirewallRule(
                f"{name}-fw-{slug(rule['name'])}",
                server_name=server.name,
                resource_group_name=args["resource_group_name"],
                firewall_rule_name=rule["name"],
                start_ip_address=rule["start_ip"],
                end_ip_address=rule["end_ip"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[last]),
            )
        names: list[str] = []
        for db in args.get("databases", []):
            pg.Database(
                f"{name}-db-{slug(db)}",
                server_name=server.name,
                resource_group_name=args["resource_group_name"],
                database_name=db,
                charset="UTF8",
                collation="en_US.utf8",
                # Created before the Entra admin, the database would be owned by azuresu.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[admin, last]),
            )
            names.append(db)

        self.server_id = server.id
        self.fqdn = server.fully_qualified_domain_name
        self.server_name = server.name
        self.database_names = pulumi.Output.from_input(names)
        self.log_analytics_workspace_id = pulumi.Output.from_input(trail.workspace_id)
        self.pgaudit_enabled = pulumi.Output.from_input(trail.pgaudit_on)
        self.register_outputs(
            {
                "log_analytics_workspace_id": self.log_analytics_workspace_id,
                "pgaudit_enabled": self.pgaudit_enabled,
                "server_id": self.server_id,
                "fqdn": self.fqdn,
                "server_name": self.server_name,
                "database_names": self.database_names,
            }
        )
