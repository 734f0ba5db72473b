"""Who an HR platform's person is in Alibaba Cloud: their UID, and the canonical events their platform's news
becomes (issue 14). Above the clients (it reads HR platforms, RAM and the register), below the function cores."""
