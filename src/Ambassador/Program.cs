using Ambassador.Hosting;

return await AmbassadorHost.RunAsync(args).ConfigureAwait(false);
