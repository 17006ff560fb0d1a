"""AAF feed files (``ficAlimMENESR``): streaming validation, rule catalogue, generator."""

from sdet_check.aaf.families import Family
from sdet_check.aaf.model import Finding
from sdet_check.aaf.rules import RULES, Rule, Severity
from sdet_check.aaf.validate import ValidationResult, validate

__all__ = ["RULES", "Family", "Finding", "Rule", "Severity", "ValidationResult", "validate"]
