from .rates import PriceTerms, set_usage_price

__all__ = ["PriceTerms", "set_usage_price"]
