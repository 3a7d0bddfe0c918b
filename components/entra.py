"""The Entra ID side: access catalog, groups, workload and pipeline identities.

No identity here has a client secret: applications authenticate only through OIDC
federated credentials (GitHub Actions or another https issuer).
"""

import uuid
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_azuread as azuread

from entra_pg.model.identifiers import GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE, is_object_id, slug

from ._util import plain

__all__ = [
    "AppRoleArgs",
    "ApplicationIdentityArgs",
    "EntraAccess",
    "EntraAccessArgs",
    "EntraGroupArgs",
    "ExistingPrincipalArgs",
    "FederatedCredentialArgs",
    "PipelineIdentityArgs",
]

# App role ids must be stable UUIDs: derive them from the catalog and profile names so a
# rerun, another stack or a reviewer computes the same id.
_APP_ROLE_NAMESPACE = uuid.UUID("5b0c9f7e-6f1c-4a8e-9f3e-2d7a1c4b8e90")


class AppRoleArgs(TypedDict):
    """An app role of the access catalog (one per profile)."""

    value: str
    """(Required) The role's value as it appears in tokens, e.g. `read`."""
    description: str
    """(Required) What holders may do."""


class FederatedCredentialArgs(TypedDict):
    """An OIDC federated identity credential."""

    name: str
    """(Required) Credential name, unique per application."""
    subject: str
    """(Required) Exact subject, e.g. `repo:ORG/REPO:environment:ENV` (case-sensitive)."""
    issuer: NotRequired[str]
    """(Optional) https issuer. Default GitHub Actions'."""


class EntraGroupArgs(TypedDict):
    """A security group the stack creates."""

    display_name: str
    """(Required) Display name (also the PostgreSQL role name)."""
    owners: list[str]
    """(Required) Owners: UPNs or object ids; at least one."""
    members: NotRequired[list[str]]
    """(Optional) Members: UPNs or object ids."""
    description: NotRequired[str]
    """(Optional) Description."""
    app_roles: NotRequired[list[str]]
    """(Optional) Catalog app roles (profile names) to assign the group to."""


class ApplicationIdentityArgs(TypedDict):
    """A workload identity: app registration + service principal, federated credentials only."""

    display_name: str
    """(Required) Display name (also the PostgreSQL role name)."""
    federated_credentials: NotRequired[list[FederatedCredentialArgs]]
    """(Optional) OIDC credentials; none means it can only be used by managed tooling."""
    owners: NotRequired[list[str]]
    """(Optional) Owners: UPNs or object ids."""
    description: NotRequired[str]
    """(Optional) Description."""
    app_roles: NotRequired[list[str]]
    """(Optional) Catalog app roles (profile names) to assign the service principal to."""


class ExistingPrincipalArgs(TypedDict):
    """A principal created elsewhere, assigned to catalog app roles."""

    name: str
    """(Required) Its Entra name (UPN or display name)."""
    object_id: pulumi.Input[str]
    """(Required) Object id (the service principal's for applications)."""
    app_roles: list[str]
    """(Required) Catalog app roles (profile names) to assign."""


class PipelineIdentityArgs(TypedDict):
    """The identity that runs `pulumi up`: trusted for one GitHub environment only."""

    display_name: str
    """(Required) Display name."""
    repository: str
    """(Required) `ORG/REPO`."""
    environment: str
    """(Required) GitHub environment; the credential subject is
    `repo:ORG/REPO:environment:ENV`."""


class EntraAccessArgs(TypedDict):
    """Inputs of `EntraAccess`."""

    catalog_name: str
    """(Required) Display name of the access-catalog app registration."""
    app_roles: list[AppRoleArgs]
    """(Required) The catalog's app roles: one per profile."""
    admin_group: EntraGroupArgs
    """(Required) The group that becomes the server's Entra admin."""
    pipeline: NotRequired[PipelineIdentityArgs]
    """(Optional) The pipeline identity, made a member of the admin group."""
    groups: NotRequired[list[EntraGroupArgs]]
    """(Optional) Access groups to create."""
    applications: NotRequired[list[ApplicationIdentityArgs]]
    """(Optional) Workload identities to create."""
    existing_principals: NotRequired[list[ExistingPrincipalArgs]]
    """(Optional) Existing principals to assign to catalog app roles."""
    assign_app_roles: NotRequired[bool]
    """(Optional) Declare the app role assignments. Default true. They need the Graph
    permission AppRoleAssignment.ReadWrite.All (tenant-wide admin in effect); false leaves
    them to an administrator, and the catalog still lists the roles."""


class EntraAccess(pulumi.ComponentResource):
    """Access catalog, groups, workload identities and the pipeline identity in Entra ID.

    The catalog app's enterprise app requires assignment, and every principal is assigned to
    the app roles of the profiles it holds, so Entra itself answers "who may do what".
    """

    admin_group_object_id: pulumi.Output[str]
    """Object id of the admin group."""
    admin_group_name: pulumi.Output[str]
    """Display name of the admin group (the user the provider connects as)."""
    principal_object_ids: pulumi.Output[dict[str, str]]
    """Object id of every created group and service principal, by display name (one
    aggregate output: for exports; inputs of other resources take `object_id_of(name)`)."""
    pipeline_client_id: pulumi.Output[str]
    """Client id of the pipeline app (AZURE_CLIENT_ID in the workflow); empty if none."""
    catalog_client_id: pulumi.Output[str]
    """Client id of the access-catalog app."""

    def __init__(
        self, name: str, args: EntraAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("entrapg:index:EntraAccess", name, None, opts)
        self._name = name
        self._users: dict[str, pulumi.Output[str]] = {}
        self._caller = azuread.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self)

        catalog_name = plain(args["catalog_name"], "catalog_name")
        role_ids = {
            r["value"]: str(uuid.uuid5(_APP_ROLE_NAMESPACE, f"{catalog_name}/{r['value']}"))
            for r in plain(args["app_roles"], "app_roles")
        }
        catalog = azuread.Application(
            f"{name}-catalog",
            display_name=catalog_name,
            description="Access catalog of the PostgreSQL server: app roles are access profiles.",
            owners=[self._caller.object_id],
            app_roles=[
                azuread.ApplicationAppRoleArgs(
                    id=role_ids[r["value"]],
                    value=r["value"],
                    display_name=r["value"],
                    description=r["description"],
                    allowed_member_types=["User", "Application"],
                    enabled=True,
                )
                for r in args["app_roles"]
            ],
            opts=child,
        )
        catalog_sp = azuread.ServicePrincipal(
            f"{name}-catalog-sp",
            client_id=catalog.client_id,
            # Only assigned principals get tokens for the catalog: the assignment list is
            # the access list.
            app_role_assignment_required=True,
            owners=[self._caller.object_id],
            opts=child,
        )

        object_ids: dict[str, pulumi.Output[str]] = {}
        pipeline_client_id: pulumi.Input[str] = ""
        admin_extra_members: list[pulumi.Input[str]] = []
        pipeline = args.get("pipeline")
        if pipeline is not None:
            app, sp = self._application(
                {
                    "display_name": pipeline["display_name"],
                    "description": "Runs pulumi up for this stack (member of the admin group).",
                    "federated_credentials": [
                        {
                            "name": f"github-{pipeline['environment']}",
                            "subject": f"repo:{pipeline['repository']}"
                            f":environment:{pipeline['environment']}",
                        }
                    ],
                },
                "pipeline",
            )
            # In the group's own `members`, not a separate GroupMember: the azuread provider
            # documents that the two fight (a refresh removes the GroupMember's member),
            # and the pipeline would fall out of the admin group it deploys and audits as.
            admin_extra_members.append(sp.object_id)
            pipeline_client_id = app.client_id
            object_ids[pipeline["display_name"]] = sp.object_id

        admin = self._group(args["admin_group"], "admin", admin_extra_members)
        object_ids[args["admin_group"]["display_name"]] = admin.object_id

        assignments: list[tuple[str, str, pulumi.Input[str]]] = []
        for group_args in plain(args.get("groups", []), "groups"):
            group = self._group(group_args, f"group-{slug(group_args['display_name'])}")
            object_ids[group_args["display_name"]] = group.object_id
            for role in group_args.get("app_roles", []):
                assignments.append((group_args["display_name"], role, group.object_id))
        for app_args in plain(args.get("applications", []), "applications"):
            _, sp = self._application(app_args, f"app-{slug(app_args['display_name'])}")
            object_ids[app_args["display_name"]] = sp.object_id
            for role in app_args.get("app_roles", []):
                assignments.append((app_args["display_name"], role, sp.object_id))
        for existing in plain(args.get("existing_principals", []), "existing_principals"):
            for role in existing["app_roles"]:
                assignments.append((existing["name"], role, existing["object_id"]))

        undefined = sorted({(p, role) for p, role, _ in assignments if role not in role_ids})
        if undefined:
            principal_name, role = undefined[0]
            raise ValueError(
                f"EntraAccess({name}): {principal_name!r} is assigned app role {role!r}, "
                "which the catalog does not define; define it in app_roles"
            )
        if not args.get("assign_app_roles", True):
            assignments = []
        for principal_name, role, principal_id in sorted(assignments, key=lambda a: a[:2]):
            azuread.AppRoleAssignment(
                f"{name}-assign-{slug(principal_name)}-{slug(role)}",
                app_role_id=role_ids[role],
                principal_object_id=principal_id,
                resource_object_id=catalog_sp.object_id,
                opts=child,
            )

        self._object_ids = object_ids
        self.admin_group_object_id = admin.object_id
        self.admin_group_name = admin.display_name
        self.principal_object_ids = pulumi.Output.all(
            **{k: v for k, v in sorted(object_ids.items())}
        ).apply(lambda ids: dict(ids))
        self.pipeline_client_id = pulumi.Output.from_input(pipeline_client_id)
        self.catalog_client_id = catalog.client_id
        self.register_outputs(
            {
                "admin_group_object_id": self.admin_group_object_id,
                "admin_group_name": self.admin_group_name,
                "principal_object_ids": self.principal_object_ids,
                "pipeline_client_id": self.pipeline_client_id,
                "catalog_client_id": self.catalog_client_id,
            }
        )

    def object_id_of(self, display_name: str) -> pulumi.Output[str]:
        """The object id of the group or service principal created as `display_name`.

        That resource's own output, not a view of `principal_object_ids`: whoever takes it
        (a pgaadauth label) depends on that one principal only, and stays known in a preview
        when another principal changes. Raises KeyError for a name this component did not
        create.
        """
        return self._object_ids[display_name]

    def _ref(self, ref: str) -> pulumi.Input[str]:
        """Object id of a member or owner given as an object id or a UPN (looked up once)."""
        if is_object_id(ref):
            return ref
        if ref not in self._users:
            self._users[ref] = azuread.get_user_output(
                user_principal_name=ref, opts=pulumi.InvokeOptions(parent=self)
            ).object_id
        return self._users[ref]

    def _group(
        self, g: EntraGroupArgs, suffix: str, extra_members: Sequence[pulumi.Input[str]] = ()
    ) -> azuread.Group:
        """A security group whose `owners` and `members` are authoritative: the stack
        declares no GroupOwner or GroupMember resource for it (one owner per membership)."""
        owners = plain(g["owners"], "owners")
        if not owners:
            raise ValueError(
                f"EntraAccess({self._name}): group {g['display_name']!r} needs at least one owner"
            )
        return azuread.Group(
            f"{self._name}-{suffix}",
            display_name=g["display_name"],
            description=g.get("description", ""),
            security_enabled=True,
            mail_enabled=False,
            # Owners answer for membership; the deploying identity stays an owner so the
            # pipeline can keep managing the group.
            owners=[self._caller.object_id, *(self._ref(o) for o in owners)],
            members=[*(self._ref(m) for m in g.get("members", [])), *extra_members],
            prevent_duplicate_names=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _application(
        self, a: ApplicationIdentityArgs, suffix: str
    ) -> tuple[azuread.Application, azuread.ServicePrincipal]:
        child = pulumi.ResourceOptions(parent=self)
        owners = [self._caller.object_id, *(self._ref(o) for o in a.get("owners", []))]
        app = azuread.Application(
            f"{self._name}-{suffix}",
            display_name=a["display_name"],
            description=a.get("description", ""),
            owners=owners,
            prevent_duplicate_names=True,
            opts=child,
        )
        sp = azuread.ServicePrincipal(
            f"{self._name}-{suffix}-sp",
            client_id=app.client_id,
            owners=owners,
            opts=child,
        )
        for cred in a.get("federated_credentials", []):
            azuread.ApplicationFederatedIdentityCredential(
                f"{self._name}-{suffix}-fic-{slug(cred['name'])}",
                application_id=app.id,
                display_name=cred["name"],
                issuer=cred.get("issuer", GITHUB_ISSUER),
                subject=cred["subject"],
                audiences=[TOKEN_EXCHANGE_AUDIENCE],
                opts=child,
            )
        return app, sp
