using InventoryService;

await InventoryApp.Build(args).RunAsync();
