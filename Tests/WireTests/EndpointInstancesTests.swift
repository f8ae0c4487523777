import Wire
import XCTest

final class EndpointInstancesTests: XCTestCase {
    func testEndpointsWithOneAddressOrNoNameAreKeptAsGiven() {
        for endpoint in ["tcp://127.0.0.1:5555", "ipc:///tmp/a.sock", "inproc://x", "tcp://*:5555", "tcp://localhost:5555",
                         "tcp://no-such-host.invalid:5555", "tcp://missing-port"] {
            XCTAssertEqual(EndpointInstances.expand(endpoint), [endpoint], endpoint)
        }
    }
}
