using Ambassador.Policies.Grpc;

namespace Ambassador.Tests.Policies.Grpc;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("5S", 50_000_000L)]
    [InlineData("500m", 5_000_000L)]
    [InlineData("1m", 10_000L)]
    [InlineData("250u", 2_500L)]
    [InlineData("1n", 1L)]
    [InlineData("100n", 1L)]
    [InlineData("0m", 0L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void TryParse_SpecForm_Parses(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("100")]
    [InlineData("123456789m")]
    [InlineData("-5S")]
    [InlineData("+5S")]
    [InlineData("5 S")]
    [InlineData(" 5S")]
    [InlineData("5s")]
    [InlineData("5x")]
    [InlineData("1.5S")]
    public void TryParse_Malformed_False(string value) =>
        Assert.False(GrpcTimeout.TryParse(value, out _));

    [Theory]
    [InlineData(1L, "100n")]
    [InlineData(999_999L, "99999900n")]
    [InlineData(5_000_000L, "500000u")]
    [InlineData(20_000_000_000L, "2000000m")]
    [InlineData(TimeSpan.TicksPerDay * 30, "2592000S")]
    [InlineData(0L, "100n")]
    public void Format_Remaining_FinestUnitWithinEightDigits(long ticks, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void Format_Huge_CappedInHours()
    {
        var text = GrpcTimeout.Format(TimeSpan.MaxValue);
        Assert.EndsWith("H", text, StringComparison.Ordinal);
        Assert.True(text.Length <= 9);
        Assert.True(GrpcTimeout.TryParse(text, out _));
    }

    [Theory]
    [InlineData(12_345L)]
    [InlineData(4_999_999L)]
    [InlineData(123_456_789_012L)]
    public void Format_ThenParse_NeverMoreThanWasLeft(long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(TimeSpan.FromTicks(ticks)), out var back));
        Assert.True(back.Ticks <= ticks && back.Ticks > ticks * 0.99, $"{ticks} -> {back.Ticks}");
    }
}
