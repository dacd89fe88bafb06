"""Alliance settlement (医共体总额包干): budget, charges, surplus and overspend, allocation to members."""
