package cocoon.reference;

import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * GET /api/v1/users/me, so that Spring Security's resource server has something to guard and the
 * portal's pages have an account to show: the account of the data file, in the emulator's shape.
 * The tests compare its headers and 401s with the emulator's, never this body.
 */
@RestController
public class UserApi {

    private final DemoData data;

    public UserApi(DemoData data) {
        this.data = data;
    }

    @GetMapping("/api/v1/users/me")
    public Map<String, Object> me(Authentication authentication) {
        return data.user(authentication.getName()).account();
    }
}
