using Workers.Cli;

return await WorkersCli.RunAsync(args, CliConsole.System);
