using Ambassador.Hosting;

StartupMemory.Enable(); // the serve command collects once its listeners are up
return await AmbassadorHost.RunAsync(args).ConfigureAwait(false);
