using OrderService;

await OrderApp.Build(args).RunAsync();
