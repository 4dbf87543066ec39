"""The web app's own routes, one module-level router per concern (the console's are in
app/console/routers): the operators' endpoints, the staff's passage search, the widget demo."""
