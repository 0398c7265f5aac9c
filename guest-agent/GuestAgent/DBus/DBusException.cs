namespace GuestAgent.DBus;

/// <summary>An sd-bus call failed with a negative errno.</summary>
public sealed class DBusException(string call, int result)
    : Exception($"{call} failed: {Mono.Unix.Native.Stdlib.strerror(Mono.Unix.Native.NativeConvert.ToErrno(-result))} ({-result})")
{
    public int Errno { get; } = -result;
}
