"""The employer's own access: the group's HR contact signs the application and follows the enrollment."""
