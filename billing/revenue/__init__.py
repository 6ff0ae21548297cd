"""Revenue recognition (ASC 606 / IFRS 15): performance obligations, allocation of the
transaction price by relative standalone selling price, revenue schedules (cumulative
rounding), contract balances, modifications and the revenue reports. See README.md."""
