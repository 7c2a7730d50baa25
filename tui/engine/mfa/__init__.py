"""MFA: where a code comes from, the codes already sent, a code's age, and the devices."""
