import Testing
@Test func samplingPlaceholder() { #expect(true) }
