"""Role checks at the edge: DRF permission classes and page decorators."""

from rest_framework.permissions import DjangoModelPermissions


class RoleModelPermissions(DjangoModelPermissions):
    """Model permissions, with reads needing `view_<model>` (DRF's default lets any
    authenticated user read). A view may name extra permissions per action in
    `required_permissions = {"approve": ["ordermgmt.approve_contract"]}`."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action_perms = getattr(view, "required_permissions", {}).get(getattr(view, "action", None))
        if action_perms is not None:
            return request.user.has_perms(action_perms)
        return super().has_permission(request, view)


class NamedPermission(RoleModelPermissions):
    """For APIViews without a queryset: `permission_required = "app.codename"`."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        required = view.permission_required
        perms = [required] if isinstance(required, str) else list(required)
        return request.user.has_perms(perms)
