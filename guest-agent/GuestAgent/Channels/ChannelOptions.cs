namespace GuestAgent.Channels;

/// <summary>Where the agent speaks its protocol (configuration section <c>Channels</c>). Every option is in the README.</summary>
public sealed class ChannelOptions
{
    public const string SectionName = "Channels";

    /// <summary>The virtio-serial port's name (<c>/sys/class/virtio-ports/*/name</c>); empty turns the host channel off.</summary>
    public string VirtioPortName { get; set; } = "org.guestagent.memory.0";

    /// <summary>Where device nodes are (the port is <c>DevDirectory/vportNpM</c>).</summary>
    public string DevDirectory { get; set; } = "/dev";

    /// <summary>The local control socket used by <c>guest-agent status</c> and admins; unset: <c>control.sock</c> in the runtime directory; empty turns it off.</summary>
    public string? ControlSocket { get; set; }

    public const string ControlSocketFileName = "control.sock";

    /// <summary>Permissions of the control socket (octal); <c>0600</c> = root only.</summary>
    public string ControlSocketMode { get; set; } = "0600";

    /// <summary>An extra unix socket with the same protocol, for development and tests (the host side of a VM without virtio-serial); empty = none.</summary>
    public string ListenSocket { get; set; } = "";

    /// <summary>How long a write to a peer may block (a host that stopped reading) before the connection is dropped.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>When no host is connected to the port, look again at least this often even without SIGIO.</summary>
    public TimeSpan HostWaitInterval { get; set; } = TimeSpan.FromMinutes(5);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (VirtioPortName.Contains('/') || VirtioPortName.Contains('\0') || VirtioPortName is "." or "..")
        {
            errors.Add($"{SectionName}:VirtioPortName must be a port name, not a path (got '{VirtioPortName}')");
        }

        foreach (var (name, value) in new[] { ("ControlSocket", ControlSocket ?? ""), ("ListenSocket", ListenSocket), ("DevDirectory", DevDirectory) })
        {
            if (value.Length > 0 && !Path.IsPathRooted(value))
            {
                errors.Add($"{SectionName}:{name} must be an absolute path or empty (got '{value}')");
            }
        }

        if (!TryParseMode(ControlSocketMode, out _))
        {
            errors.Add($"{SectionName}:ControlSocketMode must be octal permissions like 0600 (got '{ControlSocketMode}')");
        }

        if (WriteTimeout < TimeSpan.FromMilliseconds(100) || WriteTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{SectionName}:WriteTimeout must be from 00:00:00.1 to 00:10:00 (got {WriteTimeout})");
        }

        if (HostWaitInterval < TimeSpan.FromSeconds(1) || HostWaitInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"{SectionName}:HostWaitInterval must be from 00:00:01 to 1.00:00:00 (got {HostWaitInterval})");
        }

        return errors;
    }

    public static bool TryParseMode(string text, out int mode)
    {
        mode = 0;
        if (text.Length is < 3 or > 4)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            mode = (mode * 8) + (c - '0');
        }

        return true;
    }
}
