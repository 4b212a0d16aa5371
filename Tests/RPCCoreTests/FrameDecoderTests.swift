import NIOCore
import NIOTestUtils
import RPCCore
import Testing

@Suite struct FrameDecoderTests {
    static func requestBytes(method: UInt32, id: UInt32, body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeMultipleIntegers(method, UInt32(body.count), id, endianness: .little)
        buffer.writeBytes(body)
        return buffer
    }

    @Test func decodesFramesWholeAndByteByByte() throws {
        let frames: [(ByteBuffer, [RequestFrame])] = [
            (Self.requestBytes(method: 0, id: 1, body: [0x08, 0x01]),
             [RequestFrame(methodIndex: 0, requestID: 1, body: ByteBuffer(bytes: [0x08, 0x01]))]),
            (Self.requestBytes(method: 4, id: 0xEE6B_2800, body: []),
             [RequestFrame(methodIndex: 4, requestID: 0xEE6B_2800, body: ByteBuffer())]),
            (Self.requestBytes(method: 2, id: 7, body: Array(repeating: 0xAB, count: 3000)),
             [RequestFrame(methodIndex: 2, requestID: 7, body: ByteBuffer(bytes: Array(repeating: 0xAB, count: 3000)))]),
        ]
        // The verifier feeds each input whole, byte by byte, and in combinations, and checks the
        // decoder leaves nothing behind.
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: frames) {
            RequestFrameDecoder(maxMessageBytes: 4096)
        }
    }

    @Test func goldenStoreSecretRequestDecodes() throws {
        let golden: [UInt8] = [
            0x00, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x0a, 0x05, 0x74, 0x2d, 0x31, 0x30, 0x30, 0x12, 0x04, 0x61, 0x63, 0x6d, 0x65,
            0x1a, 0x06, 0x73, 0x33, 0x63, 0x72, 0x33, 0x74,
        ]
        var decoder = RequestFrameDecoder(maxMessageBytes: 1024)
        var buffer = ByteBuffer(bytes: golden)
        let frame = try #require(try decoder.decode(buffer: &buffer))
        #expect(frame.methodIndex == 0)
        #expect(frame.requestID == 1)
        #expect(frame.body.readableBytes == 0x15)
        #expect(buffer.readableBytes == 0)
    }

    @Test func oversizedLengthIsRejectedFromTheHeaderAlone() {
        var decoder = RequestFrameDecoder(maxMessageBytes: 1024)
        // Only the 12 header bytes: the decoder must not wait for (or buffer) the body.
        var buffer = ByteBuffer()
        buffer.writeMultipleIntegers(UInt32(1), UInt32(1025), UInt32(9), endianness: .little)
        #expect(throws: FrameDecodingError.messageTooLarge(methodIndex: 1, requestID: 9, length: 1025, limit: 1024)) {
            _ = try decoder.decode(buffer: &buffer)
        }
    }

    @Test func lengthAtTheLimitIsAccepted() throws {
        var decoder = RequestFrameDecoder(maxMessageBytes: 16)
        var buffer = Self.requestBytes(method: 1, id: 1, body: Array(repeating: 1, count: 16))
        let frame = try #require(try decoder.decode(buffer: &buffer))
        #expect(frame.body.readableBytes == 16)
    }

    @Test(arguments: [1, 11, 12, 20])
    func truncatedFrameAtEOFIsAnError(keptBytes: Int) {
        var decoder = RequestFrameDecoder(maxMessageBytes: 1024)
        let whole = Self.requestBytes(method: 1, id: 1, body: Array(repeating: 7, count: 10))
        var buffer = whole.getSlice(at: 0, length: keptBytes)!
        #expect(throws: FrameDecodingError.truncatedFrame(bufferedBytes: keptBytes)) {
            _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
        }
    }

    @Test func replyDecoderReadsGoldenReply() throws {
        let golden: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0x08, 0x01]
        var decoder = ReplyFrameDecoder(maxMessageBytes: 1024)
        var buffer = ByteBuffer(bytes: golden)
        let frame = try #require(try decoder.decode(buffer: &buffer))
        #expect(frame == ReplyFrame(status: 0, methodIndex: 0, requestID: 1, body: ByteBuffer(bytes: [0x08, 0x01])))
    }
}
