class UsageBilling:
    pass
