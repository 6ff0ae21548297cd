from ordermgmt.roles import role_names


def console(request):
    """Roles of the signed-in user, for the navigation."""
    user = getattr(request, "user", None)
    return {"user_roles": role_names(user) if user is not None else []}
