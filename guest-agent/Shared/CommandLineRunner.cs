using System.CommandLine;
using System.Text.RegularExpressions;

namespace GuestAgent.CommandLine;

/// <summary>
/// Runs a command line the way both executables document it: a parse error (a missing or unknown option or
/// argument, a value of the wrong type) prints one line per problem in plain words, no .NET type names, and exits 2;
/// everything else is the command's own exit code. (Shared source of <c>guest-agent</c> and <c>guest-agent-host</c>.)
/// </summary>
internal static partial class CommandLineRunner
{
    public const int UsageExitCode = 2;

    /// <param name="root">The commands.</param>
    /// <param name="args">The command line.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="program">The program's name in messages.</param>
    /// <param name="cancellationToken">Stops the command.</param>
    /// <param name="stopGrace">
    /// How long a command may take to end after SIGINT or SIGTERM cancelled it before the process is ended anyway
    /// (System.CommandLine's default is 2 s: too short for a step that must finish, e.g. an unplug in progress).
    /// </param>
    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter output, TextWriter error, string program, CancellationToken cancellationToken = default, TimeSpan? stopGrace = null)
    {
        var result = root.Parse(args);
        if (result.Errors.Count == 0)
        {
            var configuration = new InvocationConfiguration { Output = output, Error = error };
            if (stopGrace is { } grace)
            {
                configuration.ProcessTerminationTimeout = grace;
            }

            return await result.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }

        foreach (var problem in result.Errors)
        {
            await error.WriteLineAsync($"{program}: {Plain(problem.Message)}").ConfigureAwait(false);
        }

        await error.WriteLineAsync($"{program}: see '{program} --help'").ConfigureAwait(false);
        return UsageExitCode;
    }

    /// <summary>The parser's "as expected type 'System.Int32'" becomes "expected an integer".</summary>
    internal static string Plain(string message)
    {
        var match = TypeError().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var where = match.Groups["option"].Success ? $" for {match.Groups["option"].Value}" : match.Groups["command"].Success ? $" for {match.Groups["command"].Value}" : "";
        return $"'{match.Groups["value"].Value}' is not a valid value{where}: expected {Describe(match.Groups["type"].Value)}";
    }

    private static string Describe(string type) => type switch
    {
        _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "another kind of value",
    };

    [GeneratedRegex("^Cannot parse argument '(?<value>[^']*)'( for option '(?<option>[^']*)'| for command '(?<command>[^']*)')? as expected type '(?<type>[^']*)'\\.")]
    private static partial Regex TypeError();
}
